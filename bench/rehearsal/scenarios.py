"""The four scenarios, each run under constant load with its figures."""
import time
from typing import Any

from bench.rehearsal.stage import Stage, wait_for
from bench.rehearsal.traffic import SlowUploads, Traffic, summary

OLD, NEW = "release-1", "release-2"
REPLICAS = 3
CONNECTIONS = 32


def slots() -> list[str]:
    return [f"old{i}" for i in range(REPLICAS)] + [f"new{i}" for i in range(REPLICAS)] + \
        [f"broken{i}" for i in range(3)]


def steady(traffic: Traffic, requests: int, timeout: float = 120) -> None:
    """Let `requests` more answers arrive: load established before and after an event."""
    target = traffic.answered() + requests
    if not wait_for(lambda: traffic.answered() >= target, timeout):
        raise RuntimeError(f"traffic stalled: {traffic.answered()} answers, expected {target}")


def start_fleet(stage: Stage) -> None:
    for i in range(REPLICAS):
        if not stage.launch(f"old{i}", OLD):
            raise RuntimeError(f"replica old{i} never became healthy")


def rolling_replacement(stage: Stage) -> dict[str, Any]:
    """ECS's rolling deploy: start a new task, wait until healthy, then deregister and
    stop an old one; three times."""
    exit_codes = []
    with Traffic(stage.balancer.port, CONNECTIONS) as traffic:
        steady(traffic, 200)
        started = time.monotonic()
        for i in range(REPLICAS):
            if not stage.launch(f"new{i}", NEW):
                raise RuntimeError(f"replica new{i} never became healthy")
            exit_codes.append(stage.retire(f"old{i}"))
        rollout = time.monotonic() - started
        steady(traffic, 200)
    figures = summary(traffic.outcomes())
    return {**figures, "rollout_seconds": round(rollout, 2), "old_exit_codes": exit_codes,
            "releases_seen": sorted(figures["by_release"])}


def killed_replica(stage: Stage) -> dict[str, Any]:
    """SIGKILL one replica mid-traffic: how many requests fail, and how long until the
    balancer stops sending it traffic."""
    victim = "new0"
    with Traffic(stage.balancer.port, CONNECTIONS) as traffic:
        steady(traffic, 300)
        killed_at = time.monotonic()
        stage.replicas[victim].kill()  # returns once the replica has stopped
        dead_at = time.monotonic()
        t = stage.timings
        wait_for(lambda: stage.balancer.status().get(victim, "").startswith("DOWN"),
                 30 + (t.unhealthy_threshold + 1) * t.health_check_interval)
        detected = time.monotonic() - killed_at
        steady(traffic, 300)
    outcomes = traffic.outcomes()
    after_kill = [o for o in outcomes if o.at + o.seconds >= killed_at]
    stage.balancer.set_state(victim, "maint")
    return {**summary(outcomes), "seconds_until_marked_down": round(detected, 2),
            "failed_after_kill": sum(o.failed for o in after_kill),
            # A request sent once the victim had stopped cannot have been answered by it.
            "answered_by_victim_after_kill": sum(o.replica == victim and not o.failed for o in after_kill
                                                 if o.at > dead_at)}


def never_ready(stage: Stage) -> dict[str, Any]:
    """A release whose model does not match its card: the gateway refuses to start,
    the balancer never sends it a request, and after three failed launches the
    rollout stops, as ECS's circuit breaker would; the fleet keeps serving."""
    card = stage.mismatched_card()
    launches = []
    with Traffic(stage.balancer.port, CONNECTIONS) as traffic:
        steady(traffic, 200)
        for i in range(3):
            launches.append(stage.launch(f"broken{i}", "release-broken", card))
        steady(traffic, 200)
    figures = summary(traffic.outcomes())
    to_broken = sum(count for replica, count in figures["by_replica"].items() if replica.startswith("broken"))
    return {**figures, "failed_launches": launches.count(False), "rollout_stopped": not any(launches),
            "requests_to_never_ready": to_broken}


def overload(stage: Stage, connections: int = 256, seconds: float = 30, slow: int = 300) -> dict[str, Any]:
    """Far more concurrent clients than a task is sized for, and `slow` clients trickling
    large bodies among them: the fast ones slower but never a 5xx, the slow ones cut
    off (gateway.http.limits), memory flat."""
    live = [name for name, replica in stage.replicas.items() if not replica.exited()]
    before = {name: stage.replicas[name].rss_kib() for name in live}
    with Traffic(stage.balancer.port, connections) as traffic, SlowUploads(stage.balancer.port, slow) as uploads:
        ended = time.monotonic() + seconds
        wait_for(lambda: time.monotonic() > ended, seconds + 1)  # the load's duration is the scenario
        after = {name: stage.replicas[name].rss_kib() for name in live}  # while the slow clients still send
    figures = summary(traffic.outcomes())
    fives = sum(count for status, count in figures["statuses"].items() if status.startswith("5"))
    return {**figures, **uploads.summary(), "connections": connections, "seconds": seconds, "responses_5xx": fives,
            "rss_kib_before": before, "rss_kib_after": after,
            "rss_growth_kib_max": max(after[name] - before[name] for name in live) if live else None}
