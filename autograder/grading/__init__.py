"""The trusted grading process: may import runtime/ and notebook/cells, never student code and never authoring/."""
