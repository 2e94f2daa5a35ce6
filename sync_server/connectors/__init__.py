"""Clients for the outside systems the sync server talks to (finance platform, insurance, HIS).

Each connector speaks one real wire protocol and turns transport and business failures into the
typed errors of :mod:`sync_server.connectors.errors`.
"""
