"""The rehearsal's figures as Markdown."""
from typing import Any


def _row(name: str, figures: dict[str, Any], extra: str) -> str:
    return (f"| {name} | {figures['requests']:,} | {figures['failed']} | {figures.get('requests_per_second')} |"
            f" {figures.get('p99_ms')} | {extra} |")


def markdown(report: dict[str, Any]) -> str:
    t = report["timings"]
    lines = [
        "# Rehearsal: rolling deploys and failures behind a real load balancer",
        "",
        f"Run: `{report.get('command', 'python -m bench.rehearsal')}` on {report.get('when', '?')}. "
        f"Replicas: **{report['backend']}**{' `' + report['image'] + '`' if report['image'] else ''}, three of them "
        "behind HAProxy, 32 keep-alive clients sending the original's example without pause.",
        "",
        f"Timings from `infra/service/variables.tf`, scaled by {report['scale']:g}: health check "
        f"`{t['health_check_path']}` every {t['health_check_interval']:g} s (timeout {t['health_check_timeout']:g} s,"
        f" healthy after {t['healthy_threshold']}, unhealthy after {t['unhealthy_threshold']}), deregistration delay "
        f"{t['deregistration_delay']:g} s, gateway drain {t['drain_seconds']:g} s then shutdown "
        f"{t['shutdown_seconds']:g} s, stop timeout {t['stop_timeout']:g} s.",
        "",
        "| scenario | requests | failed | requests/s | p99 ms | what else |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    roll = report["rolling_replacement"]
    lines.append(_row("1. rolling replacement of all three", roll,
                      f"rollout {roll['rollout_seconds']} s; releases answering: {', '.join(roll['releases_seen'])};"
                      f" old replicas exited {roll['old_exit_codes']}"))
    kill = report["killed_replica"]
    lines.append(_row("2. one replica SIGKILLed", kill,
                      f"failed after the kill: {kill['failed_after_kill']} (statuses {kill['statuses']}, socket errors"
                      f" {kill['socket_errors'] or 0}); marked down after {kill['seconds_until_marked_down']} s"))
    never = report["never_ready"]
    lines.append(_row("3. a release that never becomes ready", never,
                      f"failed launches {never['failed_launches']} of 3, rollout stopped: {never['rollout_stopped']};"
                      f" requests it received: {never['requests_to_never_ready']}"))
    if "overload" in report:
        over = report["overload"]
        slow = (f"; {over['slow_uploads']} slow uploads among them: answered {over['slow_statuses'] or 'never'}"
                f" (the last after {over['slow_answered_after_s_max']} s), unanswered at the end"
                f" {over['slow_unanswered']}" if "slow_uploads" in over else "")
        lines.append(_row(f"4. overload, {over['connections']} connections for {over['seconds']:g} s", over,
                          f"5xx: {over['responses_5xx']}; RSS growth (max over replicas) "
                          f"{over['rss_growth_kib_max']} KiB{slow}"))
    lines += ["", "Raw figures: `bench/rehearsal.json`.", ""]
    return "\n".join(lines)
