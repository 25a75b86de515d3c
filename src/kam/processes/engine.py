"""The adapter to the BPMN engine (SpiffWorkflow); no Django import.

- :func:`parse` reads and checks a diagram: well-formed BPMN, exactly one executable process,
  every condition accepted by the restricted evaluator, no script tasks; a problem raises
  :class:`DiagramError` with a message saying what and where.
- :func:`new_workflow`, :func:`load` / :func:`dump`: a workflow and its saved state (Spiff's JSON
  serializer).
- :func:`advance` runs engine steps until the workflow waits on user tasks;
  :func:`ready_user_tasks` lists them; :func:`complete` finishes one and advances.

Conditions are evaluated by :mod:`kam.processes.expressions`, never by ``eval``.
"""

from __future__ import annotations

from dataclasses import dataclass
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

from . import expressions


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


@dataclass
class Diagram:
    process_id: str
    name: str
    spec: Any
    user_tasks: dict[str, str]  # node id -> node name, in diagram order

    def node_ids(self) -> list[str]:
        return list(self.user_tasks)


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
    return Diagram(ids[0], spec.description or ids[0], spec, user_tasks)


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
    return [t.task_spec.bpmn_id for t in ready_user_tasks(workflow)]


def completed_node_ids(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, UserTaskMixin)]


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()


def workflow_data(workflow: BpmnWorkflow) -> dict:
    return dict(workflow.data)
