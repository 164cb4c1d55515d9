"""The local gateway: serves the route table in one process, as the load balancer does in the cloud."""
