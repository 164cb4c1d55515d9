"""What the deploy pipeline runs beside Terraform: the plan summary, failed build logs, the smoke check."""
