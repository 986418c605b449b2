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

from ..atomic import write_atomic
from ..io.cells import terminal_text
from ..io.labels import LabelsError
from ..io.predictions import OFF_TOPIC_NOTE, off_topic
from ..schema import REASON_COLUMN, eligibility_task, task_names, tasks
from .queuefile import _fmt, evidence_text, predicted_summary
from .retrain import BackgroundRetrainer
from .store import Decision, LabelStore, reviewed_ids
from .strategies import DOUBTFUL_NOTE, doubtful_evidence
from .strategies import DEFAULT_BALANCE, DEFAULT_STRATEGY, rank

SOURCE = "session"
HELP = ("keys:  a = accept the predicted labels   c = correct them   x = exclude (not eligible, with a reason)   "
        "s = skip   "
        "u = undo the last one   q = quit   ? = this help")


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
            write_atomic(self.state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")

    # ---- queue ---------------------------------------------------------------------------------
    def build_queue(self) -> list[str]:
        mine = self._mine()
        # the log knows every confirmed decision, even one made just before a session was killed; what
        # counts as reviewed is what the web page counts (review.store.reviewed_ids)
        done = set(mine["done"]) | reviewed_ids(self.store.labels_and_problems()[0], self.store.log())
        preds = list(self.predictions.values())
        ids = [p["id"] for p in preds]
        rules = [self.rules.get(i, {}) for i in ids] if self.rules else None
        ranked = [ids[i] for i, _ in rank(self.strategy, preds, seed=self.seed, rules=rules, balance=self.balance)]
        skipped = [i for i in ranked if i in set(mine["skipped"])]
        fresh = [i for i in ranked if i not in done and i not in set(skipped)]
        return fresh + [i for i in skipped if i not in done]

    # ---- io ------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        # titles, ids and evidence come from third parties: no escape sequence reaches the terminal
        self.stdout.write(terminal_text(text) + "\n")
        self.stdout.flush()

    def key(self, prompt: str) -> str | None:
        """One key: a single keypress in a terminal, else one line (pipes, tests, ssh without a tty)."""
        if not self._is_tty():
            return self.ask(prompt)
        import termios
        import tty

        self.stdout.write(terminal_text(prompt))
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
        self.stdout.write(terminal_text(prompt))
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
        if off_topic(p):
            self.say(f"  note: {OFF_TOPIC_NOTE}")
        if doubtful_evidence(p):
            self.say(f"  note: {DOUBTFUL_NOTE}")
        width = max(len(t) for t in task_names()) + 1
        for task in task_names():
            line = f"  {task + ':':<{width}} {s[f'predicted_{task}'] or '-'}"
            if f"{task}_confidence" in s:
                line += f" ({_fmt(s[f'{task}_confidence'])})"
            if f"{task}_probabilities" in s:
                line += f"   [{s[f'{task}_probabilities']}]"
            if tasks()[task].reasons and p.get(REASON_COLUMN):
                line += f"   reason: {p[REASON_COLUMN]} ({tasks()[task].describe_reason(p[REASON_COLUMN])})"
            self.say(line)
        known = {t: v for t, v in current.items() if v is not None}
        if known:
            self.say("  already in the labels file: " + ", ".join(f"{t}={v}" for t, v in known.items()))
        for task in task_names():
            ev = evidence_text(p, task)
            if ev:
                self.say(f"  evidence for {task}:")
                for line in ev.splitlines():
                    self.say(f"    {line}")

    # ---- actions -------------------------------------------------------------------------------
    def predicted_values(self, study: str) -> dict[str, str | None]:
        p = self.predictions[study]
        out = {}
        for task in task_names():
            try:
                out[task] = tasks()[task].parse(p.get(task))
            except ValueError:
                out[task] = None
        screening = eligibility_task().name
        if out.get(screening) == "false":  # accepting an exclusion accepts its reason
            try:
                out[REASON_COLUMN] = eligibility_task().parse_reason(p.get(REASON_COLUMN))
            except ValueError:
                out[REASON_COLUMN] = None
        return out

    def exclude(self, study: str) -> dict[str, str | None] | None:
        """Ask why the study is not eligible (a number or a reason's name). None = cancelled."""
        task = eligibility_task()
        predicted = self.predictions[study].get(REASON_COLUMN) or ""
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
                return {task.name: "false", REASON_COLUMN: reason}
            self.say("  ! excluding a study needs a reason")

    def correct(self, study: str) -> dict[str, str | None] | None:
        """Ask for each task; Enter keeps the prediction, '-' leaves the task unknown. None = cancelled."""
        predicted = self.predicted_values(study)
        values = {}
        for task in task_names():
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
            if tasks()[task].reasons and values[task] == "false":  # excluded: why
                reason = self.exclude(study)
                if reason is None:
                    return None
                values.update(reason)
            elif tasks()[task].reasons and values[task] == "true":
                values[REASON_COLUMN] = None
        return values

    def decide(self, study: str, values: dict[str, str | None], note: str = "") -> None:
        before = self.store.labels().get(study, {t: None for t in task_names()})
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
        except (LabelsError, OSError) as exc:
            message = str(exc) if isinstance(exc, LabelsError) else f"{self.store.path}: {exc.strerror or exc}"
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
                self.say(f"  ({error[0].lower() + error[1:]}; the queue keeps the old predictions)")
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
            if self.retrainer.start_predictions(queue):
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
                key = self.key("  [a]ccept [c]orrect e[x]clude [s]kip [u]ndo [q]uit > ")
                if key is None or key.lower() in ("q", "quit", "exit"):
                    break
                key = key.lower()
                if key in ("a", "accept", "y", "yes"):
                    if self.save(study, self.predicted_values(study)):
                        queue.pop(0)
                elif key in ("c", "correct", "x", "exclude"):
                    values = (self.correct if key in ("c", "correct") else self.exclude)(study)
                    if values is None:
                        break
                    note = self.ask("  note (optional): ")
                    if self.save(study, values, note or ""):
                        queue.pop(0)
                elif key in ("s", "skip", "n", "next"):
                    try:
                        self.skip(study)
                    except (LabelsError, OSError) as exc:
                        self.say(f"  ! skip not noted ({exc}); the study moves back anyway")
                    queue.append(queue.pop(0))
                elif key in ("u", "undo"):
                    try:
                        back = self.undo()
                    except (LabelsError, OSError) as exc:
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
                self.retrainer.stop()
        self.say(f"Stopped. {self.saved} decisions saved this session to {self.store.path}; "
                 f"run the same command to resume.")
        return 0
