"""The per-monitor state machine, and the time it attributes to each state.

A failed check does not mark a monitor down at once: ``failures_before_down`` failures in
a row do ("pending" meanwhile, shown as the previous state). When they do, the outage is
dated back to the first failure of the streak, so downtime runs from the first failed check
to the first successful one. ``successes_before_up`` successes in a row end an outage.

Time is attributed check by check: the span from one check to the next belongs to the
state the first one left the monitor in. A gap longer than two intervals plus the timeout
(the watch server was stopped, or could not check) belongs to no state: it is "no data".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kpiwatch.watch.spec import CheckResult, MonitorSpec


@dataclass
class MonitorState:
    state: str | None = None
    since: datetime | None = None
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    pending_since: datetime | None = None
    last_check_at: datetime | None = None
    accounted_until: datetime | None = None
    last_status: str | None = None
    last_response_ms: float | None = None
    last_error_type: str | None = None
    last_error_message: str | None = None
    checks_total: int = 0


@dataclass(frozen=True)
class Span:
    """Seconds of ``[start, end)`` spent in ``kind``; ``down_retro`` adds downtime to time
    already counted as observed (the pending part of a confirmed outage)."""

    start: datetime
    end: datetime
    kind: str


@dataclass(frozen=True)
class Transition:
    """A new timeline row. ``changed`` is False when the row only resumes the same state
    after a gap (no alert, no event)."""

    monitor_id: int
    service_id: str
    tenant_id: int
    state: str
    previous: str | None
    at: datetime
    closes_at: datetime | None
    changed: bool
    error_type: str | None = None
    message: str | None = None


@dataclass
class Step:
    spans: list[Span] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)


def max_gap(spec: MonitorSpec) -> timedelta:
    return timedelta(seconds=2 * spec.interval_s + spec.timeout_s)


def advance(spec: MonitorSpec, st: MonitorState, result: CheckResult) -> Step:
    """Apply one result to ``st`` (in place) and say which time and transitions it makes."""
    step = Step()
    t = result.at
    if st.last_check_at is not None and t <= st.last_check_at:
        return step
    resumed = st.last_check_at is not None and t - st.last_check_at > max_gap(spec)
    if st.accounted_until is not None and not resumed and st.state is not None:
        step.spans.append(Span(st.accounted_until, t, st.state))
    if resumed and st.state is not None:
        step.transitions.append(_transition(spec, st, st.state, t, st.accounted_until, False))
        st.since = t
        if st.pending_since is not None:
            st.pending_since = t
    st.accounted_until = t
    st.last_check_at = t
    st.last_status = result.status
    st.last_response_ms = result.response_ms
    st.last_error_type = result.error_type
    st.last_error_message = result.error_message

    new_state, since = _next_state(spec, st, result)
    if new_state != st.state:
        if new_state == "down" and since < t:
            step.spans.append(Span(since, t, "down_retro"))
        closes = since if st.state is not None else None
        step.transitions.append(_transition(spec, st, new_state, since, closes, True, result))
        st.state, st.since = new_state, since
    return step


def _next_state(spec: MonitorSpec, st: MonitorState, result: CheckResult) -> tuple[str, datetime]:
    t = result.at
    if result.status == "maintenance":
        st.consecutive_failures = st.consecutive_successes = 0
        st.pending_since = None
        return "maintenance", t
    current = st.state if st.state not in (None, "maintenance") else None
    if result.is_success:
        st.consecutive_successes += 1
        st.consecutive_failures = 0
        st.pending_since = None
        if current == "down" and st.consecutive_successes < spec.successes_before_up:
            return "down", st.since or t
        return result.status, (t if result.status != current else st.since or t)
    st.consecutive_failures += 1
    st.consecutive_successes = 0
    if current == "down":
        return "down", st.since or t
    if st.pending_since is None:
        st.pending_since = t
    if st.consecutive_failures >= spec.failures_before_down:
        since = st.pending_since
        st.pending_since = None
        return "down", since
    return current or "up", (st.since if current else t) or t


def _transition(
    spec: MonitorSpec,
    st: MonitorState,
    state: str,
    at: datetime,
    closes_at: datetime | None,
    changed: bool,
    result: CheckResult | None = None,
) -> Transition:
    return Transition(
        monitor_id=spec.id,
        service_id=spec.service_id,
        tenant_id=spec.tenant_id,
        state=state,
        previous=st.state,
        at=at,
        closes_at=closes_at,
        changed=changed,
        error_type=result.error_type if result and state == "down" else None,
        message=result.error_message if result and state == "down" else None,
    )
