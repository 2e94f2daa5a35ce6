"""Event names the kiosk emits on the app's :class:`workflows.events.Events` (payload keys in the
comments). The payment session's own events (``pay_waiting_scan`` with ``code_url``,
``pay_waiting_confirm``, ``pay_paid``, ``pay_failed`` with ``message``, ``pay_state``) arrive on
the same Events object while a flow waits for the patient, and the issuing workflow's
``link_changed`` / ``stock_changed`` as for any terminal. Callbacks may run on any thread.
"""

from __future__ import annotations

KIOSK_STATE = "kiosk_state"                # {"state": SessionState}
KIOSK_PATIENT = "kiosk_patient"            # {"patient": PatientSummary | None}  (None: cleared)
KIOSK_IDLE = "kiosk_idle"                  # {"idle": IdleState}  (warning started / expired)
KIOSK_RESET = "kiosk_reset"                # {"reason": str}  back to the attract screen, data dropped
KIOSK_ORDER = "kiosk_order"                # {"order_no": str, "state": str, "flow": str}
KIOSK_AVAILABILITY = "kiosk_availability"  # {"functions": dict[str, FunctionAvailability]}
KIOSK_PRINT = "kiosk_print"                # {"receipt": ReceiptInfo}
KIOSK_CARD_REMOVED = "kiosk_card_removed"  # {"during_payment": bool}  card pulled mid-flow
KIOSK_CARD_INSERTED = "kiosk_card_inserted"  # {}  a social-security card went in (Kiosk.watch_card)
KIOSK_MODE = "kiosk_mode"                  # {"emergency": bool, "reason": str}  sync server unreachable
KIOSK_PROGRESS = "kiosk_progress"          # {"step": str, "text": str}  e.g. 正在结算… 正在开具电子票据…

ALL = (KIOSK_STATE, KIOSK_PATIENT, KIOSK_IDLE, KIOSK_RESET, KIOSK_ORDER, KIOSK_AVAILABILITY, KIOSK_PRINT,
       KIOSK_CARD_REMOVED, KIOSK_CARD_INSERTED, KIOSK_MODE, KIOSK_PROGRESS)
