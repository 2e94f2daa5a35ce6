"""Emergency issuing on terminals (应急开票): limits, journal writer, stock, upload (issue 7)."""
