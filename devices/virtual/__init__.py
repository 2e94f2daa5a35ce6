"""Virtual devices for demo mode and workflow tests: no hardware, same roles and errors.

* card readers whose card is "inserted" from a menu (:meth:`insert` / :meth:`remove`);
* a scanner fed from the menu (:class:`VirtualScanner`);
* printers that write PNG (receipts) and PDF (bill forms) files into a folder;
* a camera that plays a bundled image (a crop of a public-domain NASA portrait).

They import nothing but billing_core, devices and Pillow (no Qt, no OpenCV).
"""
