"""Training: the fine-tuning and preference-tuning runs (runs/<genre>/<run-id>/log.json), their losses,
perplexity (or reward accuracy) and hyperparameters, and which model each genre now serves."""

import pandas as pd
import streamlit as st

from songgen_app.training_view import cell, loss_chart, reward, run_result
from songgen_app.tables import text_width, whole_text_columns
from songgen_app.text import caption, error_box, markdown_literal
from songgen_core import paths
from songgen_core.errors import ConfigError
from songgen_core.registry import load_registry
from training.runs import latest_runs, list_runs

st.set_page_config(page_title="Training · SongGen Studio", page_icon="📈", layout="wide")
st.title("Training")
HOW_TO = ("python -m training finetune --genre rock --base embedded:smollm2-135m "
          "--max-steps 20 --logging-steps 2 --eval-steps 5 --block-size 128 --use-cpu")

runs_dir = paths.runs_dir()
runs = list_runs(runs_dir)
for path, reason in runs.problems:
    st.warning(markdown_literal(f"Skipped an unreadable run log {path}: {reason}"))


# --------------------------------------------------------------------------- the runs

if not runs:
    caption(f"Runs folder: {runs_dir} (set SONGGEN_RUNS to read another).")
    st.info("No training runs yet. Fine-tune a genre on the bundled SAMPLE to make one (a few minutes on a CPU); "
            "its log appears here and the trained model then serves the genre:")
    st.code(HOW_TO, language="bash")
else:
    caption(f"{len(runs)} run(s) in {runs_dir} (set SONGGEN_RUNS to read another). Runs trained on the bundled "
               "SAMPLE are marked SAMPLE: their losses show the pipeline works, not the quality of a full run.")
    genres = sorted({run.genre for run in runs})
    genre = st.selectbox("Genre", genres, key="training_genre")
    of_genre = [run for run in runs if run.genre == genre]
    by_label = {run.label: run for run in of_genre}
    label_of = {label: f"{run.run_id}{' (SAMPLE)' if run.sample else ''}" for label, run in by_label.items()}
    # One widget per genre, and each genre's choice remembered outside it: Streamlit drops the state of a
    # widget that a run does not draw, and one widget shared by the genres kept only the runs valid in both
    # (none), so a switched-to genre drew nothing. A genre not chosen from yet shows its latest runs.
    remembered = st.session_state.setdefault("training_runs_chosen", {})
    default = remembered.get(genre, [run.label for run in latest_runs(of_genre)])
    chosen = st.multiselect("Runs to compare (overlaid)", list(by_label), default=[label for label in default if label in by_label],
                            format_func=lambda label: label_of[label], key=f"training_runs_{genre}")
    remembered[genre] = chosen
    selected = [by_label[label] for label in chosen]

    if not selected:
        st.info("Choose at least one run to draw its losses.")
    else:
        rows = [{"run": label_of[run.label], "split": split, "step": step, "loss": loss}
                for run in selected for split, points in (("train", run.train_loss), ("eval", run.eval_loss))
                for step, loss in points]
        frame = pd.DataFrame(rows, columns=["run", "split", "step", "loss"])
        if frame.empty:
            st.info("The chosen runs logged no losses.")
        else:
            st.altair_chart(loss_chart(frame, genre), width="stretch")

        st.subheader("Perplexity")
        st.caption("exp(final eval loss) on the genre's test split, after the last step. A preference tuning "
                   "(DPO, KTO) has no perplexity: it shows its reward accuracy (how often the tuned model favours the "
                   "preferred take more than the model it started from does) and reward margin, on the held-out "
                   "preferences when there were some.")
        columns = st.columns(min(len(selected), 4))
        for i, run in enumerate(selected):
            columns[i % len(columns)].metric(markdown_literal(label_of[run.label]), run_result(run))

        st.subheader("Hyperparameters")
        keys = []
        for run in selected:
            keys += [k for k in run.hyperparameters if k not in keys]
        table = pd.DataFrame({label_of[run.label]: [cell(run.hyperparameters.get(k)) for k in keys] for run in selected},
                             index=pd.Index(keys, name="hyperparameter"))
        st.dataframe(table, column_config=whole_text_columns(table, *table.columns, index=True))

    st.subheader("All runs")
    summary = pd.DataFrame([{
        "genre": run.genre, "run": run.run_id, "data": "SAMPLE" if run.sample else "full dataset",
        "base": cell(run.base), "trained": run.kind, "trainable parameters": run.parameters.get("trainable"),
        "steps": run.final_step, "final eval loss": run.final_eval_loss,
        "perplexity": run.perplexity, "reward accuracy": reward(run, "reward_accuracy") if run.is_preference else None,
        "finished": cell(run.finished),
    } for run in runs])
    st.dataframe(summary, hide_index=True, column_config={
        **whole_text_columns(summary, "run", "base", "trained", "finished"),
        # Thousands separators; each number column as wide as its header.
        "trainable parameters": st.column_config.NumberColumn(format="localized", width=text_width(["trainable parameters"])),
        "final eval loss": st.column_config.NumberColumn(format="%.4f", width=text_width(["final eval loss"])),
        "perplexity": st.column_config.NumberColumn(format="%.2f", width=text_width(["perplexity"])),
        "reward accuracy": st.column_config.NumberColumn(format="percent", width=text_width(["reward accuracy"])),
    })

# --------------------------------------------------------------------------- what each genre serves

st.subheader("What each genre serves now")
try:
    registry = load_registry()
except ConfigError as error:
    error_box(f"The model registry could not be read: {error}. Fix config/models.toml and reload.")
else:
    serving = pd.DataFrame([{
        "genre": g,
        "model": registry.lyrics_source(g).describe(),
        "from": "trained folder" if g in registry.taken_over else "configured in " + (registry.config_path.name if registry.config_path else "the registry"),
    } for g in registry.genres()], columns=["genre", "model", "from"])
    st.dataframe(serving, hide_index=True)
    st.caption("A trained folder models/GENRE/ (written by a successful fine-tune) takes over its genre; "
               "otherwise the source configured in config/models.toml serves it. A LoRA adapter (--lora) is "
               "served on its base, loaded once and shared by every adapter on it (without the CPU speed preset).")
