"""Bill stock held by the server: its own emergency blocks reserved on the platform, from which
it issues while the platform cannot be reached (emergency_stock); and the hospital's paper bill
stock lifecycle — opening stock, 申领 / 入库确认, 分发, 收回, 作废, 申退, thresholds, its read API
and 年结 (lifecycle, applies, ledger, stock_read, year_end; docs/STOCK.md)."""
