#!/usr/bin/env python3
"""docs/RESULTS.md is written by several scripts, each owning its marked sections (scripts/results_sections.py):
scripts/results_table.py (the "models" section) and scripts/tokenizer_results.py ("tokenizers") are run for
real on fixture files (and scripts/style_results.py, "style", on one measured line; results_table.py with ONLY_CACHED=1 and an empty cache, so it measures nothing) and
every section they do not own, and the text between sections, must come out byte for byte and in the same
order; a malformed file is refused and left as it was. Run by ctest (test_results_sections)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import results_sections  # noqa: E402

FOREIGN_A = "<!-- by-hand:begin -->\n## Added by hand\n\n| a | b |\n|---|---|\n| 1 | 2 |\n<!-- by-hand:end -->\n"
FOREIGN_B = "<!-- bf16-sampling:begin -->\n## bfloat16 against float32\n\nkept as written.\n<!-- bf16-sampling:end -->\n"
FOREIGN_C = "<!-- other:begin -->\nlast section, no trailing blank line\n<!-- other:end -->\n"
BETWEEN = "\nsome unmarked text between sections\n\n"


def run_script(script, env):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script)], env=dict(os.environ, **env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=env.get("CWD", ROOT))


def names(text):
    return [name for name, _, _ in results_sections.sections(text)]


def section_text(text, name):
    for found, start, stop in results_sections.sections(text):
        if found == name:
            return text[start:stop]
    return None


class ResultsSections(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.results = os.path.join(self.dir, "RESULTS.md")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, text):
        with open(self.results, "w") as f:
            f.write(text)

    def read(self):
        with open(self.results) as f:
            return f.read()

    def run_models_table(self):
        return run_script("results_table.py", {"RESULTS_DOCS": self.dir, "ONLY_CACHED": "1"})

    def run_tokenizer_table(self):
        work = os.path.join(self.dir, "work")
        os.makedirs(work, exist_ok=True)
        return run_script("tokenizer_results.py", {"WORK": work, "RESULTS_FILE": self.results})

    def assert_kept(self, before, after, owned):
        """Every section but `owned` and all text outside sections is unchanged and in its order."""
        self.assertEqual([n for n in names(before) if n != owned], [n for n in names(after) if n != owned])
        for name in names(before):
            if name != owned:
                self.assertEqual(section_text(before, name), section_text(after, name), name)

        def outside(text):
            pieces, last = [], 0
            for name, start, stop in results_sections.sections(text):
                pieces.append(text[last:start])
                last = stop
            return pieces + [text[last:]]
        self.assertEqual([p.strip() for p in outside(before) if p.strip()],
                         [p.strip() for p in outside(after) if p.strip()])

    def test_models_table_keeps_foreign_sections_in_order(self):
        before = (FOREIGN_A + BETWEEN + "<!-- models:begin -->\n# stale table\n<!-- models:end -->\n\n" + FOREIGN_B +
                  "\n" + "<!-- tokenizers:begin -->\n## Tokenizers\n<!-- tokenizers:end -->\n\n" + FOREIGN_C)
        self.write(before)
        run = self.run_models_table()
        self.assertEqual(run.returncode, 0, run.stderr)
        after = self.read()
        self.assert_kept(before, after, "models")
        self.assertEqual(names(after), ["by-hand", "models", "bf16-sampling", "tokenizers", "other"])
        models = section_text(after, "models")
        self.assertIn("# Measured results", models)
        self.assertNotIn("stale table", models)
        # Run again: the file is stable (nothing duplicated, nothing moved).
        self.assertEqual(self.run_models_table().returncode, 0)
        self.assertEqual(self.read(), after)

    def test_models_table_goes_first_in_a_file_without_it(self):
        before = FOREIGN_B + "\n" + FOREIGN_C
        self.write(before)
        self.assertEqual(self.run_models_table().returncode, 0)
        after = self.read()
        self.assertEqual(names(after), ["models", "bf16-sampling", "other"])
        self.assert_kept(before, after, "models")

    def test_tokenizer_table_keeps_foreign_sections_in_order(self):
        before = ("<!-- models:begin -->\n# Measured results\n<!-- models:end -->\n\n" + FOREIGN_B + BETWEEN +
                  "<!-- tokenizers:begin -->\nold tokenizer table\n<!-- tokenizers:end -->\n\n" + FOREIGN_A)
        self.write(before)
        run = self.run_tokenizer_table()
        self.assertEqual(run.returncode, 0, run.stderr)
        after = self.read()
        self.assert_kept(before, after, "tokenizers")
        self.assertEqual(names(after), ["models", "bf16-sampling", "tokenizers", "by-hand"])
        self.assertIn("## Tokenizers (FlowMo, issue 18)", section_text(after, "tokenizers"))
        self.assertNotIn("old tokenizer table", after)

    def test_style_table_keeps_foreign_sections_and_judges_the_claims(self):
        work = os.path.join(self.dir, "style-work")
        os.makedirs(work)
        shutil.copy(os.path.join(ROOT, "tests", "data", "style-results-deadiff.json"), os.path.join(work, "deadiff.json"))
        before = (FOREIGN_A + BETWEEN + "<!-- style:begin -->\nold style table\n<!-- style:end -->\n\n" + FOREIGN_B)
        self.write(before)
        run = run_script("style_results.py", {"WORK": work, "RESULTS_FILE": self.results, "BUDGET": "fixture"})
        self.assertEqual(run.returncode, 0, run.stderr)
        after = self.read()
        self.assert_kept(before, after, "style")
        self.assertEqual(names(after), ["by-hand", "style", "bf16-sampling"])
        style = section_text(after, "style")
        self.assertNotIn("old style table", style)
        self.assertIn("`fixture`", style)
        self.assertIn("smoke budget", style)
        # The measured method has its row and grid; the three unmeasured ones say so, and no claim is judged.
        self.assertIn("| DEADiff as built (dual Q-Formers, disentangled, paired tasks) | 0.05 | 0.34 |", style)
        self.assertEqual(style.count("not measured"), 4)
        self.assertIn("![](style-eval-deadiff.png)", style)
        self.assertNotIn("holds", style)
        self.assertEqual(run_script("style_results.py", {"WORK": work, "RESULTS_FILE": self.results,
                                                         "BUDGET": "fixture"}).returncode, 0)
        self.assertEqual(self.read(), after)

    def test_the_real_results_file_keeps_its_hand_added_sections(self):
        with open(os.path.join(ROOT, "docs", "RESULTS.md")) as f:
            before = f.read()
        for name in ("models", "bf16-sampling", "bf16-training", "tokenizers"):
            self.assertIn(name, names(before))
        self.write(before)
        self.assertEqual(self.run_models_table().returncode, 0)
        after = self.read()
        self.assert_kept(before, after, "models")
        self.assertEqual(names(after), names(before))

    def test_a_malformed_file_is_refused_and_left_alone(self):
        for before in ("<!-- models:begin -->\nno end\n" + FOREIGN_B,
                       FOREIGN_B + FOREIGN_B,
                       "<!-- a:begin -->\n<!-- b:begin -->\n<!-- b:end -->\n<!-- a:end -->\n",
                       "text\n<!-- a:end -->\n"):
            self.write(before)
            run = self.run_models_table()
            self.assertNotEqual(run.returncode, 0)
            self.assertIn("RESULTS.md", run.stderr.strip().splitlines()[-1])
            self.assertEqual(self.read(), before)


if __name__ == "__main__":
    unittest.main()
