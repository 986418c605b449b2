"""The terminal review session: one document at a time, every decision saved the moment it is made.

In a terminal a single keypress chooses; when input is not a terminal (a pipe, a test) it is read
line by line (type the key, press Enter). Corrections are always typed as a line. Keys: ``a`` accept the predicted labels, ``c``
correct them (one prompt per task), ``x`` exclude the study (not eligible) with a reason, ``s`` skip, ``u`` undo the last decision or skip, ``q`` quit,
``?`` help. End of input quits too; nothing is lost because nothing is ever held back.

Where the session stands is kept beside the labels file (``labels.session.json``: what each reviewer
decided or skipped), so the next session resumes at the first document not yet seen; decisions are
also recovered from the log, so even a session killed before it could note its place resumes right.
Every ``retrain_every`` decisions the model is retrained on the labels file in a worker process; when
it finishes, the rest of the queue is re-scored with its predictions. The reviewer never waits for it.
"""
from __future__ import annotations

import json
import sys
from concurrent.futures import Future, ProcessPoolExecutor

from ..io.predictions import OFF_TOPIC_NOTE, off_topic
from ..schema import TASK_NAMES, eligibility_task, tasks
from .queuefile import evidence_text, predicted_summary
from .store import REASON_FIELD, Decision, LabelStore, LabelStoreError, atomic_write_text, read_table
from .strategies import DEFAULT_BALANCE, DEFAULT_STRATEGY, rank

SOURCE = "session"
HELP = ("keys:  a = accept the predicted labels   c = correct them   x = exclude (not eligible, with a reason)   "
        "s = skip   u = undo the last one   q = quit   ? = this help")


class BackgroundRetrainer:
    """Retrain in a worker process; ``poll()`` returns fresh predictions once they are ready."""

    def __init__(self, labels_path, texts, params: dict | None = None):
        self.labels_path = str(labels_path)
        self.texts = [str(t) for t in texts]
        self.params = params  # None: the shipped model's parameters
        self.executor: ProcessPoolExecutor | None = None
        self.future: Future | None = None

    @property
    def running(self) -> bool:
        return self.future is not None and not self.future.done()

    def start(self, ids: list[str]) -> bool:
        if self.running:
            return False
        from .retrain import retrain_predict

        if self.executor is None:
            import multiprocessing

            self.executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self.future = self.executor.submit(retrain_predict, self.labels_path, self.texts, list(ids), self.params)
        return True

    def poll(self):
        """``(predictions, error)`` when a retraining has finished since the last poll, else None."""
        if self.future is None or not self.future.done():
            return None
        future, self.future = self.future, None
        try:
            return future.result(), ""
        except Exception as exc:  # reported to the reviewer in one line; the session goes on
            return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__

    def close(self):
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)


class Session:
    def __init__(self, store: LabelStore, predictions: list[dict], reviewer: str, *, strategy: str = DEFAULT_STRATEGY,
                 seed: int = 0, rules: list[dict] | None = None, retrainer: BackgroundRetrainer | None = None,
                 retrain_every: int = 0, stdin=None, stdout=None, balance: float = DEFAULT_BALANCE):
        self.store = store
        self.predictions = {p["id"]: p for p in predictions}
        self.reviewer = reviewer
        self.strategy = strategy
        self.seed = seed
        self.balance = balance
        self.rules = {r["id"]: r for r in rules} if rules else None
        self.retrainer = retrainer
        self.retrain_every = retrain_every
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.state_path = store.path.with_name(store.path.stem + ".session.json")
        self.undo_stack: list[dict] = []
        self.decided_since_retrain = 0
        self.saved = 0

    # ---- state ---------------------------------------------------------------------------------
    def _load_state(self) -> dict:
        try:
            state = json.loads(self.state_path.read_text("utf-8"))
            return state if isinstance(state, dict) else {}
        except (OSError, ValueError):
            return {}

    def _mine(self) -> dict:
        entry = self._load_state().get(self.reviewer) or {}
        return {"done": list(entry.get("done", [])), "skipped": list(entry.get("skipped", []))}

    def _save_state(self, mine: dict) -> None:
        with self.store.lock():
            state = self._load_state()
            state[self.reviewer] = mine
            atomic_write_text(self.state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")

    # ---- queue ---------------------------------------------------------------------------------
    def build_queue(self) -> list[str]:
        mine = self._mine()
        # the log knows every confirmed decision, even one made just before a session was killed
        last: dict[str, str] = {}
        for r in self.store.log():
            if r["reviewer"] == self.reviewer and r["source"] in (SOURCE, f"{SOURCE} undo"):
                last[r["study"]] = r["source"]
        done = set(mine["done"]) | {study for study, source in last.items() if source == SOURCE}
        labelled = {i for i, lab in self.store.labels().items() if all(lab[t] is not None for t in TASK_NAMES)}
        preds = list(self.predictions.values())
        ids = [p["id"] for p in preds]
        rules = [self.rules.get(i, {}) for i in ids] if self.rules else None
        ranked = [ids[i] for i, _ in rank(self.strategy, preds, seed=self.seed, rules=rules, balance=self.balance)]
        skipped = [i for i in ranked if i in set(mine["skipped"])]
        fresh = [i for i in ranked if i not in done and i not in labelled and i not in set(skipped)]
        return fresh + [i for i in skipped if i not in done]

    # ---- io ------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def key(self, prompt: str) -> str | None:
        """One key: a single keypress in a terminal, else one line (pipes, tests, ssh without a tty)."""
        if not self._is_tty():
            return self.ask(prompt)
        import termios
        import tty

        self.stdout.write(prompt)
        self.stdout.flush()
        fd = self.stdin.fileno()
        old = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd, termios.TCSANOW)  # keys typed ahead are kept; Ctrl-C still interrupts
            ch = self.stdin.read(1)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
        self.stdout.write((ch if ch.isprintable() else "") + "\n")
        self.stdout.flush()
        if ch in ("", "\x04"):  # end of input (Ctrl-D)
            return None
        return ch.strip()

    def _is_tty(self) -> bool:
        try:
            return self.stdin.isatty() and self.stdout.isatty()
        except (AttributeError, ValueError):
            return False

    def ask(self, prompt: str) -> str | None:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            return None
        return line.strip()

    def show(self, study: str, position: int, total: int) -> None:
        p = self.predictions[study]
        s = predicted_summary(p)
        current = self.store.labels().get(study, {})
        self.say("")
        self.say(f"[{position}/{total}] {study}  {p.get('source', '')}")
        self.say("  " + (" ".join(str(p.get("title", "") or "(no title)").split())))
        if off_topic(p) and not p.get("eligible"):
            self.say(f"  note: {OFF_TOPIC_NOTE}")
        if p.get("eligible"):
            reason = p.get("exclusion_reason") or ""
            self.say(f"  eligible:         {p['eligible']} (p {float(p.get('p_eligible') or 0):.2f})"
                     + (f"   reason: {reason} ({eligibility_task().describe_reason(reason)})" if reason else ""))
            ev = evidence_text(p, "eligible")
            if ev:
                self.say("  evidence for eligibility:")
                for line in ev.splitlines():
                    self.say(f"    {line}")
        self.say(f"  role:             {s['predicted_role'] or '-'} ({s['role_confidence']})   "
                 f"[{s['role_probabilities']}]")
        self.say(f"  phases:           {s['predicted_phases'] or '-'}   [{s['phase_probabilities']}]")
        self.say(f"  boundary_spanner: {s['predicted_boundary_spanner'] or '-'} "
                 f"({s['boundary_spanner_confidence']})")
        known = {t: v for t, v in current.items() if v is not None}
        if known:
            self.say("  already in the labels file: " + ", ".join(f"{t}={v}" for t, v in known.items()))
        for task in TASK_NAMES:
            ev = evidence_text(p, task)
            if ev:
                self.say(f"  evidence for {task}:")
                for line in ev.splitlines():
                    self.say(f"    {line}")

    # ---- actions -------------------------------------------------------------------------------
    def predicted_values(self, study: str) -> dict[str, str | None]:
        p = self.predictions[study]
        out = {}
        for task in (eligibility_task().name, *TASK_NAMES):
            try:
                out[task] = tasks()[task].parse(p.get(task))
            except ValueError:
                out[task] = None
        if out.get(eligibility_task().name) == "false":
            try:
                out[REASON_FIELD] = eligibility_task().parse_reason(p.get(REASON_FIELD))
            except ValueError:
                out[REASON_FIELD] = None
        return out

    def exclude(self, study: str) -> dict[str, str | None] | None:
        """Ask why the study is not eligible: a number or a reason's name. None = cancelled."""
        task = eligibility_task()
        predicted = self.predictions[study].get(REASON_FIELD) or ""
        for n, reason in enumerate(task.reasons, start=1):
            self.say(f"    {n:2d} {reason:16s} {task.describe_reason(reason)}")
        while True:
            answer = self.ask(f"  reason [{predicted or '-'}] (number or name; Enter keeps): ")
            if answer is None:
                return None
            answer = answer or predicted
            if answer.isdigit() and 1 <= int(answer) <= len(task.reasons):
                answer = task.reasons[int(answer) - 1]
            try:
                reason = task.parse_reason(answer)
            except ValueError as exc:
                self.say(f"  ! {exc}")
                continue
            if reason:
                return {task.name: "false", REASON_FIELD: reason}
            self.say("  ! excluding a study needs a reason")

    def correct(self, study: str) -> dict[str, str | None] | None:
        """Ask for each task; Enter keeps the prediction, '-' leaves the task unknown. None = cancelled."""
        predicted = self.predicted_values(study)
        values = {}
        for task in TASK_NAMES:
            allowed = ", ".join(tasks()[task].values)
            while True:
                answer = self.ask(f"  {task} [{predicted[task] or '-'}] ({allowed}; Enter keeps, - = unknown): ")
                if answer is None:
                    return None
                if answer == "":
                    values[task] = predicted[task]
                    break
                if answer == "-":
                    values[task] = None
                    break
                try:
                    values[task] = tasks()[task].parse(answer)
                    break
                except ValueError as exc:
                    self.say(f"  ! {exc}")
        return values

    def decide(self, study: str, values: dict[str, str | None], note: str = "") -> None:
        before = dict(self.store.labels().get(study, {t: None for t in TASK_NAMES}))
        if REASON_FIELD in values or eligibility_task().name in values:
            row = read_table(self.store.path).index.get(study) or {}
            before[REASON_FIELD] = eligibility_task().parse_reason(row.get(REASON_FIELD)) if row.get(REASON_FIELD) else None
            before.setdefault(eligibility_task().name, tasks()[eligibility_task().name].parse(row.get(eligibility_task().name)))
        decisions = [Decision(study, t, v, self.reviewer, SOURCE, note) for t, v in values.items() if v is not None]
        result = self.store.record(decisions)
        applied = {d.task: before.get(d.task) for d in result.applied}
        self.undo_stack.append({"kind": "decision", "study": study, "old": applied,
                                "conflicts": [c.task for c in result.conflicts]})
        mine = self._mine()
        mine["done"] = [i for i in mine["done"] if i != study] + [study]
        mine["skipped"] = [i for i in mine["skipped"] if i != study]
        self._save_state(mine)
        self.saved += 1
        self.decided_since_retrain += 1
        changed = ", ".join(f"{d.task}={d.value}" for d in result.applied) or "nothing new"
        self.say(f"  saved {study}: {changed}")
        for c in result.conflicts:
            self.say(f"  ! conflict kept for a decision: {c.describe()}")

    def save(self, study: str, values: dict[str, str | None], note: str = "") -> bool:
        """``decide``, telling the reviewer (not crashing) when the labels file cannot be written."""
        try:
            self.decide(study, values, note)
            return True
        except (LabelStoreError, OSError) as exc:
            message = str(exc) if isinstance(exc, LabelStoreError) else f"{self.store.path}: {exc.strerror or exc}"
            self.say(f"  ! not saved: {message}")
            self.say("    the study stays in front of you; try again (or q to stop)")
            return False

    def skip(self, study: str) -> None:
        mine = self._mine()
        if study not in mine["skipped"]:
            mine["skipped"].append(study)
        self._save_state(mine)
        self.undo_stack.append({"kind": "skip", "study": study})
        self.say(f"  skipped {study} (it comes back at the end of the queue)")

    def undo(self) -> str | None:
        if not self.undo_stack:
            self.say("  nothing to undo in this session")
            return None
        last = self.undo_stack[-1]  # popped once undone, so a failed save can be retried
        study = last["study"]
        mine = self._mine()
        if last["kind"] == "decision":
            restore = [Decision(study, t, old, self.reviewer, f"{SOURCE} undo", force=True)
                       for t, old in last["old"].items()]
            self.store.record(restore)
            for task in last["conflicts"]:
                self.store.dismiss(study, task, self.reviewer, note="undone in the terminal session")
            mine["done"] = [i for i in mine["done"] if i != study]
            self.saved -= 1
            self.say(f"  undone: {study} is back as it was")
        else:
            mine["skipped"] = [i for i in mine["skipped"] if i != study]
            self.say(f"  undone: skip of {study}")
        self.undo_stack.pop()
        self._save_state(mine)
        return study

    # ---- retraining ----------------------------------------------------------------------------
    def maybe_retrain(self, queue: list[str]) -> list[str]:
        if self.retrainer is None:
            return queue
        polled = self.retrainer.poll()
        if polled is not None:
            preds, error = polled
            if error:
                self.say(f"  (retraining failed: {error}; the queue keeps the old predictions)")
            elif preds:
                for study, pred in preds.items():
                    old = self.predictions.get(study, {})
                    merged = dict(old)
                    merged.update({k: v for k, v in pred.items() if k not in ("title", "source") or not old.get(k)})
                    self.predictions[study] = merged
                ids = [p["id"] for p in self.predictions.values()]
                preds_list = list(self.predictions.values())
                rules = [self.rules.get(i, {}) for i in ids] if self.rules else None
                ranked = rank(self.strategy, preds_list, seed=self.seed, rules=rules, balance=self.balance)
                order = {ids[i]: n for n, (i, _) in enumerate(ranked)}
                queue = sorted(queue, key=lambda i: order.get(i, len(order)))
                self.say(f"  (model retrained; {len(preds)} predictions refreshed, queue re-ordered)")
        if self.retrain_every and self.decided_since_retrain >= self.retrain_every and not self.retrainer.running:
            if self.retrainer.start(queue):
                self.decided_since_retrain = 0
                self.say("  (retraining in the background; carry on)")
        return queue

    # ---- loop ----------------------------------------------------------------------------------
    def run(self) -> int:
        queue = self.build_queue()
        total = len(queue)
        if not queue:
            self.say("Nothing left to review: every document is decided or fully labelled.")
            return 0
        self.say(f"{total} documents to review (strategy: {self.strategy}; labels: {self.store.path}).")
        self.say(HELP)
        position = 0
        try:
            while queue:
                queue = self.maybe_retrain(queue)
                study = queue[0]
                position = total - len(queue) + 1
                self.show(study, position, total)
                key = self.key("  [a]ccept [c]orrect [s]kip [u]ndo [q]uit > ")
                if key is None or key.lower() in ("q", "quit", "exit"):
                    break
                key = key.lower()
                if key in ("a", "accept", "y", "yes"):
                    if self.save(study, self.predicted_values(study)):
                        queue.pop(0)
                elif key in ("c", "correct"):
                    values = self.correct(study)
                    if values is None:
                        break
                    note = self.ask("  note (optional): ")
                    if self.save(study, values, note or ""):
                        queue.pop(0)
                elif key in ("x", "exclude"):
                    values = self.exclude(study)
                    if values is None:
                        break
                    note = self.ask("  note (optional): ")
                    if self.save(study, values, note or ""):
                        queue.pop(0)
                elif key in ("s", "skip", "n", "next"):
                    try:
                        self.skip(study)
                    except (LabelStoreError, OSError) as exc:
                        self.say(f"  ! skip not noted ({exc}); the study moves back anyway")
                    queue.append(queue.pop(0))
                elif key in ("u", "undo"):
                    try:
                        back = self.undo()
                    except (LabelStoreError, OSError) as exc:
                        self.say(f"  ! not undone: {exc}; try again")
                        back = None
                    if back is not None:
                        queue = [back] + [i for i in queue if i != back]
                else:
                    self.say(HELP)
        except KeyboardInterrupt:
            self.say("")
        finally:
            if self.retrainer is not None:
                self.retrainer.close()
        self.say(f"Stopped. {self.saved} decisions saved this session to {self.store.path}; "
                 f"run the same command to resume.")
        return 0
