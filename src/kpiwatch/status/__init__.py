"""The public status: services, maintenance windows, uptime bars and the overall status."""
