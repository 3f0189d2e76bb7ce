/** The `driftloop` command's usage text, and help for one command. */

export const USAGE = `usage: driftloop <command>

  up [--services a,b]     run all services (or the named ones) in one process
  run <service>           run one service against the configured servers
  demo [--fast | --full] [--dir D]   the whole loop on Elec2: drift, retrain, evaluation,
                          rollout; a summary and D/report.html (D: .data/demo; --fast,
                          the default, takes about a minute, --full replays every record)
  config [--markdown]     list configuration options
  status                  per model: champion, rollout in flight, open runs, last drift window; ingest lag
  runs [--model M] [--open] [--limit N]   list retraining runs
  runs show <run>         one run: spec, data and code version, trials, artifacts
  runs compare <run> <run>...             best params and metrics side by side
  runs cancel <run>       cancel an open run (needs DRIFTLOOP_ADMIN_TOKEN)
  reproduce <run>         re-execute a done run from its record, compare metrics
                          (exit 1 when they differ; needs DRIFTLOOP_ADMIN_TOKEN)
  drift                   models the drift monitor watches: version, reference, window, auto retrain
  reports <model> [--limit N]   the model's latest windows: times, events, decision, drifted features, run
  reference <model> --version V --from T --to T   build the model's reference from a time range
                          of its events (ISO-8601; needs DRIFTLOOP_ADMIN_TOKEN)
  retrain <model> [--reason R]   ask for a retrain now (needs DRIFTLOOP_ADMIN_TOKEN); a run still
                          open is joined
  models                  registered models, version counts, aliases
  models show <model>     versions with status, aliases, lineage, metrics
  approve <model> <version> --reason R [--actor A]   approve a pending version
  reject <model> <version> --reason R [--actor A]    reject a version
  rollout <model>         the model's rollout: state, step, weight, last checks
  promote <model>         promote the candidate now (skips the remaining steps)
  rollback <model> --reason R   roll the candidate back (or, with none, undo the last promotion)
  pause <model>, resume <model>  hold or continue a rollout
  rollout approve <model> pass a rollout's manual gate
  replay dead-letters --from P [--to P] [--source T] [--dry-run]
                          re-publish dead letters to the topics they came from
  replay <topic> --from P --group G [--wait 45s] [--dry-run]
                          rewind group G (a group id or service: ingest, drift, trainer,
                          evaluator, registry, rollout) on <topic> to P; the group must be stopped
                          P: earliest, latest, an offset, a time (2025-01-31T12:00:00Z) or a duration
                          ago (30m, 2h); replay talks to Kafka itself (KAFKA_BROKERS, TOPIC_PREFIX)
  backtest [--history H] [--policies JSON] [--schedules 1,2,4,13] [--report F] [--json]
                          replay a labeled history in event time: each policy (as DRIFT_POLICIES)
                          and retraining schedule side by side (driftloop backtest --help)

  Every command but up, run, demo, config, replay and backtest talks to a running driftloop: --url (default $DRIFTLOOP_URL
  or http://127.0.0.1:8080), -o table|json|yaml for how to print (--json: -o json).

  Exit codes: 0 done, 1 failed, 2 bad usage or configuration, 3 not found, 4 no driftloop answering at --url.
`;

export const COMMANDS = ['up', 'run', 'demo', 'config', 'runs', 'reproduce', 'status', 'drift', 'reports', 'reference', 'retrain', 'models', 'approve', 'reject', 'rollout', 'promote', 'rollback', 'pause', 'resume', 'replay', 'backtest', 'help'] as const;

/** The usage lines of one command (its own lines and their continuations). */
export function commandUsage(command: string): string {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  let mine = false;
  for (const line of lines) {
    if (/^ {2}\S/.test(line)) {
      const first = line.trim().split(/[\s,]/)[0];
      mine = first === command || line.includes(`, ${command} `);
    } else if (!/^ {10,}\S/.test(line)) {
      mine = false;
    }
    if (mine) out.push(line);
  }
  return `usage: driftloop ${command}\n\n${out.join('\n')}\n`;
}

/** The known command closest to a mistyped one (at most two edits away), if any. */
export function closestCommand(typed: string): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length]!;
  };
  const ranked = COMMANDS.map((c) => ({ c, d: distance(typed, c) })).sort((x, y) => x.d - y.d);
  return ranked[0] && ranked[0].d <= 2 ? ranked[0].c : undefined;
}

