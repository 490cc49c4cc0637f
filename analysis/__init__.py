"""Economics of AI accelerators at AWS: data, parameters, models and the report builder."""
import sys

# jsonschema (imported by nbformat and altair) imports rfc3987_syntax when it is installed, which compiles 38 Lark
# grammars (about 2.5 s, in every process and every kernel) only to check the "iri" and "iri-reference" formats;
# neither the notebook schema nor the Vega-Lite schema uses them. Blocking that import skips the cost: jsonschema
# then simply has no iri checks. A process that imported it already keeps it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None blocks the import; typeshed allows modules only
