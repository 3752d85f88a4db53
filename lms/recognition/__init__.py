"""Partner credentials as credit: the registry of partner bodies (their issuer identifiers, the keys we trust and
the recognition rules), a trainee's submission of a partner's credential, its offline check against the registry,
and an administrator's decision. Confirmed recognitions write evidence (source "recognised") and exemptions that
eligibility asks for through :data:`lms.signals.exemptions`.

To the right of credentials: it may import credentials; credentials never imports it."""
