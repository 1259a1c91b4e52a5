"""Checks OTLP/JSON trace exports against the OpenTelemetry protocol.

Each file is read as an ExportTraceServiceRequest with the protobuf
classes of the `opentelemetry-proto` package (unknown fields, wrong types
and unknown enum values are errors). OTLP/JSON differs from protobuf's
standard JSON mapping in one way: trace and span ids are hex, not base64;
they are converted before parsing, as the OTLP specification describes.
Then every span is checked: ids of the right length and not zero, unique
span ids, end not before start, every parent span and every link present
in the same trace.

Usage: python3 .ci/validate-otlp.py FILE.otlp.json...
"""

import base64
import json
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def hex_to_base64(span):
    for field in ID_FIELDS:
        if field in span:
            span[field] = base64.b64encode(bytes.fromhex(span[field])).decode()
    for link in span.get("links", []):
        for field in ID_FIELDS:
            if field in link:
                link[field] = base64.b64encode(bytes.fromhex(link[field])).decode()


def check(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                hex_to_base64(span)
    request = ExportTraceServiceRequest()
    json_format.ParseDict(doc, request, ignore_unknown_fields=False)

    problems = []
    spans = {}
    for rs in request.resource_spans:
        names = [a.value.string_value for a in rs.resource.attributes if a.key == "service.name"]
        if len(names) != 1 or not names[0]:
            problems.append("a resource without a service.name")
        for ss in rs.scope_spans:
            for span in ss.spans:
                if len(span.trace_id) != 16 or span.trace_id == bytes(16):
                    problems.append(f"span {span.name}: bad trace id")
                if len(span.span_id) != 8 or span.span_id == bytes(8):
                    problems.append(f"span {span.name}: bad span id")
                if span.span_id in spans:
                    problems.append(f"span id {span.span_id.hex()} twice")
                if span.end_time_unix_nano < span.start_time_unix_nano:
                    problems.append(f"span {span.span_id.hex()} ends before it starts")
                spans[span.span_id] = span
    for span in spans.values():
        if span.parent_span_id:
            parent = spans.get(span.parent_span_id)
            if parent is None:
                problems.append(f"span {span.span_id.hex()}: parent {span.parent_span_id.hex()} missing")
            elif parent.trace_id != span.trace_id:
                problems.append(f"span {span.span_id.hex()}: parent in another trace")
        for link in span.links:
            if link.span_id not in spans:
                problems.append(f"span {span.span_id.hex()}: link to a missing span")
    return len(spans), problems


def main(paths):
    failures = 0
    for path in paths:
        try:
            count, problems = check(path)
        except Exception as err:  # a parse error names the field
            print(f"{path}: FAILED: {err}")
            failures += 1
            continue
        if problems:
            failures += 1
            print(f"{path}: FAILED")
            for p in problems[:20]:
                print(f"  {p}")
        else:
            print(f"{path}: ok ({count} spans)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
