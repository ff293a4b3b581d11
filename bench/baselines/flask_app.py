"""The original design, reproduced for comparison: Flask + a joblib-pickled
scikit-learn LogisticRegression, as the original project's src/app.py served it.

Run as the original runs it (`python flask_app.py`: Flask's development server) or
under gunicorn (`gunicorn bench.baselines.flask_app:app`), as a user would in production.
"""
import os

import joblib
import numpy as np
from flask import Flask, jsonify, request

MODEL_PATH = os.environ.get("BASELINE_MODEL", "iris_model.pkl")

app = Flask(__name__)
model = joblib.load(MODEL_PATH)


@app.route("/predict", methods=["POST"])
def predict():
    data = request.get_json(force=True)
    features = np.array(data["features"]).reshape(1, -1)
    prediction = model.predict(features)
    return jsonify({"prediction": int(prediction[0])})


@app.route("/health", methods=["GET"])
def health():
    return jsonify({"status": "healthy"}), 200


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("BASELINE_PORT", "8080")))
