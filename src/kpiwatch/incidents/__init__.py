"""Incident management: workflow, priorities, updates, comments, automatic incidents."""
