"""The adapter to the BPMN engine (SpiffWorkflow); no Django import.

- :func:`parse` reads and checks a diagram: well-formed BPMN, exactly one executable process,
  every condition accepted by the restricted evaluator, no script tasks; a problem raises
  :class:`DiagramError` with a message saying what and where.
- :func:`new_workflow`, :func:`load` / :func:`dump`: a workflow and its saved state (Spiff's JSON
  serializer).
- :func:`advance` runs engine steps until the workflow waits on user tasks;
  :func:`ready_user_tasks` lists them; :func:`complete` finishes one and advances.

Timers and service tasks never wait inside the engine: before Spiff reads a diagram,
:func:`_rewrite` takes out a timer start event (scheduled by our sweep, ``Diagram.start_timer``),
turns boundary and intermediate timer events into message events named ``kam_timer_<event id>``
(our ``Timer`` rows fire them with :func:`send_message`), and service tasks into receive tasks
waiting for ``kam_service_<task id>`` (our service calls answer them). So every wait is a row in
our database, swept by the scheduler.

Conditions are evaluated by :mod:`kam.processes.expressions`, never by ``eval``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins import ScriptTaskMixin, UserTaskMixin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import expressions, schedule


class DiagramError(ValueError):
    """A diagram the engine cannot run; ``str()`` says what and where."""


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates conditions with the restricted evaluator; scripts are refused."""

    def evaluate(self, expression, context, external_context=None):
        names = {**(external_context or {}), **context}
        return expressions.evaluate(expression, names)

    def execute(self, script, context, external_context=None):
        raise expressions.ExpressionError("scripts are not allowed")

    def call_service(self, context, **kwargs):
        raise expressions.ExpressionError("service calls are not allowed")


def script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment())


_SERIALIZER = BpmnWorkflowSerializer()


TIMER_PREFIX = "kam_timer_"
SERVICE_PREFIX = "kam_service_"


@dataclass
class Diagram:
    process_id: str
    name: str
    spec: Any
    user_tasks: dict[str, str]  # node id -> node name, in diagram order
    start_timer: str = ""  # timer start event: cycle / date / cron text ("" = none start event)
    start_message: str = ""  # message start event name
    timers: dict[str, str] = field(default_factory=dict)  # timer event id -> duration / date / cycle text
    service_tasks: dict[str, str] = field(default_factory=dict)  # service task id -> name

    def node_ids(self) -> list[str]:
        """The steps a node configuration may name: user tasks and service tasks."""
        return [*self.user_tasks, *self.service_tasks]


def _rewrite(xml: bytes) -> tuple[bytes, dict]:
    """The diagram as the engine runs it (see the module docstring) and what was taken out."""
    from lxml import etree

    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    ns = root.nsmap.get("bpmn") or "http://www.omg.org/spec/BPMN/20100524/MODEL"
    info: dict = {"start_timer": "", "start_message": "", "timers": {}, "service_tasks": {}}
    messages = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(f"{{{ns}}}message")}

    def add_message(name: str) -> None:
        if name not in messages:
            message = etree.Element(f"{{{ns}}}message", id=name, name=name)
            root.insert(0, message)
            messages[name] = name

    def timer_text(definition) -> str:
        for child in definition:
            if etree.QName(child).localname in ("timeCycle", "timeDate", "timeDuration"):
                return (child.text or "").strip().strip("\"'")
        return ""

    for event in list(root.iter(f"{{{ns}}}startEvent")):
        for definition in event.findall(f"{{{ns}}}timerEventDefinition"):
            info["start_timer"] = timer_text(definition)
            event.remove(definition)
        for definition in event.findall(f"{{{ns}}}messageEventDefinition"):
            info["start_message"] = messages.get(definition.get("messageRef"), "")
            event.remove(definition)
    for tag in ("boundaryEvent", "intermediateCatchEvent"):
        for event in root.iter(f"{{{ns}}}{tag}"):
            for definition in event.findall(f"{{{ns}}}timerEventDefinition"):
                name = TIMER_PREFIX + event.get("id", "")
                info["timers"][event.get("id", "")] = timer_text(definition)
                add_message(name)
                index = list(event).index(definition)
                event.remove(definition)
                event.insert(index, etree.Element(f"{{{ns}}}messageEventDefinition", messageRef=name))
    for task in list(root.iter(f"{{{ns}}}serviceTask")):
        name = SERVICE_PREFIX + task.get("id", "")
        info["service_tasks"][task.get("id", "")] = task.get("name") or task.get("id", "")
        add_message(name)
        task.tag = f"{{{ns}}}receiveTask"
        task.set("messageRef", name)
    return etree.tostring(root), info


def _conditions(xml: bytes) -> list[tuple[str, str]]:
    """(flow id, condition text) of every condition expression in the diagram."""
    from lxml import etree

    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    found = []
    for el in root.iter("{*}conditionExpression", "{*}completionCondition", "{*}loopCondition"):
        owner = el.getparent()
        found.append((owner.get("id", "") if owner is not None else "", (el.text or "").strip()))
    return found


def parse(xml: str | bytes) -> Diagram:
    """Parse and check a BPMN diagram; raise :class:`DiagramError` on any problem."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if not xml or not xml.strip():
        raise DiagramError("the diagram is empty")
    try:
        xml, info = _rewrite(xml)
    except Exception as exc:  # lxml syntax errors and the like
        raise DiagramError(str(exc) or type(exc).__name__) from exc
    for event_id, text in info["timers"].items():
        try:
            if not text or not (text.startswith(("P", "R")) or text[:1].isdigit()):
                raise schedule.ScheduleError(
                    f"a timer event needs a duration, a date-time or a cycle R[n]/duration: {text!r}")
            if text.startswith("R"):
                schedule.parse_cycle(text, dt.UTC)
            elif text.startswith("P"):
                schedule.parse_duration(text)
            else:
                schedule.parse_datetime(text, dt.UTC)
        except schedule.ScheduleError as exc:
            raise DiagramError(f"timer (id {event_id}): {exc}") from exc
    if info["start_timer"]:
        try:
            schedule.check(info["start_timer"])
        except schedule.ScheduleError as exc:
            raise DiagramError(f"timer start event: {exc}") from exc
    parser = BpmnParser()
    try:
        parser.add_bpmn_str(xml)
        ids = parser.get_process_ids()
        if len(ids) != 1:
            raise DiagramError(f"the diagram must hold exactly one process (found {len(ids)})")
        spec = parser.get_spec(ids[0])
    except DiagramError:
        raise
    except ValidationException as exc:
        where = f" (id {exc.id})" if getattr(exc, "id", None) else ""
        raise DiagramError(f"{exc.args[0] if exc.args else exc}{where}") from exc
    except (SpiffWorkflowException, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise DiagramError(str(exc) or type(exc).__name__) from exc
    except Exception as exc:  # lxml syntax errors and the like
        raise DiagramError(str(exc) or type(exc).__name__) from exc
    user_tasks: dict[str, str] = {}
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, ScriptTaskMixin):
            raise DiagramError(f"script tasks are not allowed (id {task_spec.bpmn_id})")
        if isinstance(task_spec, UserTaskMixin):
            user_tasks[task_spec.bpmn_id] = task_spec.bpmn_name or task_spec.bpmn_id
    if not user_tasks:
        raise DiagramError("the process has no user task")
    for where, text in _conditions(xml):
        try:
            expressions.parse(text)
        except expressions.ExpressionError as exc:
            raise DiagramError(f"condition \u201c{text}\u201d (id {where}): {exc}") from exc
    return Diagram(ids[0], spec.description or ids[0], spec, user_tasks, start_timer=info["start_timer"],
                   start_message=info["start_message"], timers=info["timers"],
                   service_tasks=info["service_tasks"])


def new_workflow(diagram: Diagram, data: dict) -> BpmnWorkflow:
    workflow = BpmnWorkflow(diagram.spec, script_engine=script_engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    return workflow


def dump(workflow: BpmnWorkflow) -> str:
    return _SERIALIZER.serialize_json(workflow)


def load(state: str) -> BpmnWorkflow:
    workflow = _SERIALIZER.deserialize_json(state)
    workflow.script_engine = script_engine()
    return workflow


def advance(workflow: BpmnWorkflow) -> None:
    """Run engine steps until the workflow ends or waits on user tasks."""
    try:
        workflow.do_engine_steps()
        workflow.refresh_waiting_tasks()
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise DiagramError(_explain(exc)) from exc


def _explain(exc: Exception) -> str:
    """The engine's message, with the evaluator's reason when a condition failed."""
    cause = exc.__cause__ or getattr(exc, "exception", None)
    text = str(exc)
    if cause is not None and str(cause) not in text:
        text = f"{text}: {cause}"
    return text


def ready_user_tasks(workflow: BpmnWorkflow) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def find_task(workflow: BpmnWorkflow, task_id: str):
    return workflow.get_task_from_id(UUID(task_id))


def complete(workflow: BpmnWorkflow, task_id: str, data: dict) -> None:
    """Finish the engine's user task ``task_id`` with ``data`` merged into its data, then advance."""
    task = find_task(workflow, task_id)
    task.data.update(data)
    try:
        task.run()
    except SpiffWorkflowException as exc:
        raise DiagramError(str(exc)) from exc
    advance(workflow)


def reset_to(workflow: BpmnWorkflow, node_id: str) -> bool:
    """Send the workflow back to the last completed task of ``node_id``; False if it never ran."""
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == node_id]
    if not done:
        return False
    workflow.reset_from_task_id(done[-1].id)
    advance(workflow)
    return True


def waiting_node_ids(workflow: BpmnWorkflow) -> list[str]:
    """The steps the instance waits at: user tasks, and service tasks waiting for their answer."""
    waiting = [t.task_spec.bpmn_id for t in ready_user_tasks(workflow)]
    waiting += [name.removeprefix(SERVICE_PREFIX) for name in waiting_events(workflow)
                if name.startswith(SERVICE_PREFIX)]
    return waiting


def waiting_events(workflow: BpmnWorkflow) -> list[str]:
    """Names of the messages the workflow waits for (timers and service tasks included, prefixed)."""
    return [event.name for event in workflow.waiting_events()]


def _waiting_timer_tasks(workflow: BpmnWorkflow) -> list:
    return [t for t in workflow.get_tasks(state=TaskState.WAITING)
            if str(getattr(getattr(t.task_spec, "event_definition", None), "name", "") or "").startswith(TIMER_PREFIX)]


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, str]:
    """``{message name: wait id}`` of the timer events the workflow waits at. The id names one wait:
    for a boundary event, the step's entry (a repeating timer keeps it between firings; a step
    entered again waits with a new one), for an intermediate event, the event itself."""
    from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent

    return {t.task_spec.event_definition.name: str(t.parent.id if isinstance(t.task_spec, BoundaryEvent) else t.id)
            for t in _waiting_timer_tasks(workflow)}


def fire_timer(workflow: BpmnWorkflow, name: str, repeat: bool = False) -> bool:
    """A timer event of the diagram is due: take its path and advance; False if nothing waited for it.
    With ``repeat`` (a cycle ``R[n]/…``) a non-interrupting boundary event, once its path started,
    waits again for the next period while its step is open; any other timer event fires once."""
    from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent

    waiting = [t for t in _waiting_timer_tasks(workflow) if t.task_spec.event_definition.name == name]
    if not waiting:
        return False
    task = waiting[0]
    again = repeat and isinstance(task.task_spec, BoundaryEvent) and not task.task_spec.cancel_activity
    split, spec = task.parent, task.task_spec
    if not send_message(workflow, name):
        return False
    if again:
        main = next((c for c in split.children if not isinstance(c.task_spec, BoundaryEvent)), None)
        if main is not None and not main.has_state(TaskState.FINISHED_MASK):
            try:  # a new wait beside the step, as the split made the first one
                event = split._add_child(spec, TaskState.WAITING)
                spec._predict(event, mask=TaskState.NOT_FINISHED_MASK)
                spec._update(event)
            except SpiffWorkflowException as exc:
                raise DiagramError(_explain(exc)) from exc
    return True


def send_message(workflow: BpmnWorkflow, name: str, payload: dict | None = None) -> bool:
    """Deliver message ``name`` (with ``payload`` merged into the data) and advance; False if nothing
    waited for it."""
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
    from SpiffWorkflow.bpmn.util.event import BpmnEvent

    if name not in waiting_events(workflow):
        return False
    try:
        workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=dict(payload or {})))
        workflow.refresh_waiting_tasks()
    except SpiffWorkflowException as exc:
        raise DiagramError(_explain(exc)) from exc
    advance(workflow)
    return True


def completed_node_ids(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, UserTaskMixin)]


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()


def workflow_data(workflow: BpmnWorkflow) -> dict:
    return dict(workflow.data)
