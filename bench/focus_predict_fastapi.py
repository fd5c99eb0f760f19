"""The reference design's model API, for bench_focus_predict.sh: FastAPI + uvicorn (one worker) +
scikit-learn, serving the same focus model JSON as `ethovid focus serve`.

    python3 focus_predict_fastapi.py MODEL_JSON PORT

The model file's scaler and coefficients are loaded into a StandardScaler and a multinomial
LogisticRegression (logits divided by the temperature, as ethovid does), so both servers answer
the same probabilities for the same row; the request is validated by a pydantic model, as the
reference does.
"""
import json
import sys

import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def load(path):
    with open(path) as f:
        m = json.load(f)
    if m["features"] != ["face_present", "nose_offset_abs", "nose_offset_signed"]:
        raise SystemExit(f"{path}: this peer serves the reference's three features, not {m['features']}")
    scaler = StandardScaler()
    scaler.mean_ = np.array(m["scaler"]["mean"], dtype=float)
    scaler.scale_ = np.array(m["scaler"]["scale"], dtype=float)
    scaler.var_ = scaler.scale_ ** 2
    scaler.n_features_in_ = len(m["features"])
    clf = LogisticRegression(multi_class="multinomial")
    t = float(m.get("temperature", 1.0))
    clf.coef_ = np.array(m["coefficients"], dtype=float) / t
    clf.intercept_ = np.array(m["intercepts"], dtype=float) / t
    clf.classes_ = np.array(m["classes"])
    clf.n_features_in_ = len(m["features"])
    return m, scaler, clf


model, scaler, clf = load(sys.argv[1])
app = FastAPI()


class Features(BaseModel):
    face_present: float
    nose_offset_abs: float
    nose_offset_signed: float


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/predict")
def predict(row: Features):
    x = np.array([[row.face_present, row.nose_offset_abs, row.nose_offset_signed]])
    p = clf.predict_proba(scaler.transform(x))[0]
    return {"state": str(clf.classes_[int(np.argmax(p))]),
            "probabilities": {str(c): float(v) for c, v in zip(clf.classes_, p)}}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), workers=1, log_level="warning",
                access_log=False)
