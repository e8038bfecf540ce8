"""The watch server: monitors, the check runner, the state machine and the rollups."""
