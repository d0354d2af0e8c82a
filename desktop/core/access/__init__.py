"""Who may do what: scrypt passwords and roles (``auth``), login, lock-out, sessions and user
management (``sessions``). Imports ``store`` and ``errors``."""
