"""Pure domain shared by every part of the product: money, codes, bill models and validation,
the platform envelope, SM2/SM3/SM4, clock and ids. No I/O frameworks, no Qt, no Flask."""
