"""The sandbox: a small simulated document platform that Fireline's demo and e2e tests heal.

Uploads arrive and become jobs (`job-<hex>`) in a queue; extraction workers process them;
the services authenticate with tokens that expire. Faults can be injected, and each is healed
by a real admin action, so runbook automation has something true to do.

It is a separate system, not part of Fireline: it imports only `fireline.clock` and libraries
(import-linter contract "the sandbox stands alone").

- `model`: the pure simulation (`Platform.advance(now)`), deterministic for a seed.
- `faults`: the four faults, and which admin action heals each.
- `metrics`: Prometheus exposition of the platform (its own registry).
- `query`: a small PromQL subset behind a Prometheus-shaped `/api/v1/query`.
- `rules`: the alerting rule file and a built-in evaluator (`for:`, firing, resolved).
- `sender`: delivers the evaluator's alerts to Fireline as Alertmanager webhooks.
- `app`: the `Sandbox` (platform + evaluator + sender) and its HTTP app.
"""
