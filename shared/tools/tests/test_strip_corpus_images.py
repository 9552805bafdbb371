import nbformat
import pytest

from tools.strip_corpus_images import strip


def cell(tags, outputs):
    code = nbformat.v4.new_code_cell("show()", metadata={"tags": tags})
    code.outputs = outputs
    return code


def test_images_of_tagged_cells_are_removed_and_their_text_kept():
    image = nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})
    only_image = nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})
    text = nbformat.v4.new_output("stream", name="stdout", text="12 lines\n")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        cell(["corpus-image", "nbval-ignore-output"], [text, image, only_image]),
        cell([], [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})]),
    ]
    assert strip(notebook) == 2
    assert notebook.cells[0].outputs == [text, nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})]
    assert "image/png" in notebook.cells[1].outputs[0].data  # untagged cells keep their images


def test_a_tagged_cell_must_also_be_ignored_by_nbval():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [cell(["corpus-image"], [])]
    with pytest.raises(ValueError, match="nbval-ignore-output"):
        strip(notebook)


def test_images_a_tagged_widget_holds_in_the_saved_widget_state_are_removed():
    view = nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "a"}})
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [cell(["corpus-image", "nbval-ignore-output"], [view])]
    shown = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}}
    state = {"a": {"model_name": "OutputModel", "state": {"outputs": [shown]}}}
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state}}
    assert strip(notebook) == 1
    saved = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]["a"]["state"]
    assert saved["outputs"] == [{"output_type": "display_data", "data": {"text/plain": "<Figure>"}}]
