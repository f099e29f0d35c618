"""Use cases of the markets service, one module per aggregate: programmes and sessions, the catalogue (sites and
suppliers), proposals and their confirmation, reports; `inputs` loads what the scheduler is asked."""
