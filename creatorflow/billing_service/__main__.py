"""`python -m creatorflow.billing_service` runs the `creatorflow-billing` command."""

from creatorflow.billing_service.cli import main

main()
