from export.runtime import OnnxModel


def test_the_gate_runs_the_model_in_a_session_set_up_as_the_gateways(logistic_payload, dataset):
    """export.runtime opens its session through gateway.model.session: what the parity gate
    proves is the session set-up that serves (threads, spinning, the unchecked run)."""
    model = OnnxModel(logistic_payload, dataset.schema, "classification")
    options = model._session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    predictions = model.run(dataset.x_test)
    assert predictions.labels.tolist() == model._session.run(None, dataset.x_test.for_onnx())[0].tolist()
