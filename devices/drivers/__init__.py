"""Real drivers: the only modules allowed to import pyscard, pyserial, python-escpos, OpenCV and
(bill printer only) PySide6. Each module guards its library import so ``is_usable()`` can say
"missing" instead of failing at import time.
"""
