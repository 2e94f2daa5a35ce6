"""Insured settlement on the terminals (issue 16 §4; docs/INSURANCE.md §13): one Qt-free flow that
the cashier, the kiosk and the ward use.

* :mod:`workflows.insurance.client` — a typed client over the sync server's insurance API
  (``/insurance/api/<method>``, docs/INSURANCE.md §12.3) through the terminal's one SyncClient;
* :mod:`workflows.insurance.models` — the person, the settlement record, the fund / account / cash split;
* :mod:`workflows.insurance.flow` — the settlement session: identify -> register -> fees ->
  pre-settle -> cash part -> settle -> e-bill -> voucher, and the cancel chain, each step
  recorded in the terminal store (offline_store.ins_orders) before the next so a crash resumes;
* :mod:`workflows.insurance.cash` — how the cash part is taken (window cash, kiosk payment);
* :mod:`workflows.insurance.bill` — the e-bill's insurance fields from the settlement;
* :mod:`workflows.insurance.errors` — E3950-E3969.
"""
