"""Qt-free sessions that are the cashier window's own (issue 8; issue 13 §6).

Only what a cashier / finance window does and no other terminal does lives here: login and the
idle lock (:mod:`.login`), the bill entry form with live totals (:mod:`.entry`), issuing from that
form (:mod:`.issuing`), batch import (:mod:`.importer`), the daily report (:mod:`.report`), the
window-only errors (:mod:`.errors`) and the wiring of one window (:mod:`.services`).

What the kiosk and the ward need too is one level up and never imports this package (an
import-linter contract): paper exchange (:mod:`workflows.paper`), write-off
(:mod:`workflows.writeoff`), the bill records (:mod:`workflows.records`), events
(:mod:`workflows.events`), documents (:mod:`workflows.documents`), notice push
(:mod:`workflows.delivery`), the link monitor (:mod:`workflows.link_monitor`), the server API
(:mod:`workflows.server_api`), the catalog (:mod:`workflows.catalog`). cashier_app is a thin Qt
layer over these objects; every rule is tested without Qt (tests/unit/workflows/cashier).
"""
