"""What operators run Rotor with: health checks, Prometheus metrics, JSON request logs.

Shared code, so it imports no app: tokens passes in its readiness checks and scrape-time
collectors through settings (`ROTOR_READINESS_CHECKS`, `ROTOR_METRICS_COLLECTORS`), the way the
API frame takes its authentication class from `ROTOR_API_AUTHENTICATION`.
"""
