"""The parameters of the shipped model (chosen for literature the model has not seen: strong
regularisation, rules weighted in, no fold-tuning beyond a coarse grid; see docs/model.md)."""
DEFAULT_PARAMS = dict(C=1.0, rule_weight=1.0, use_tfidf=True, use_rules=True, char_ngrams=False,
                      class_weight="balanced", calibration="sigmoid", use_inferred=True, min_positives=6,
                      decision_balance=0.7, bs_balance=1.0, rule_fallback=3,
                      phase_rule_gate=True, couple_phases=False,
                      rules_only_tasks=("boundary_spanner",), scoped_rules=("boundary_spanner",))
