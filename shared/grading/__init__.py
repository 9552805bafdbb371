"""The course's autograder: exercises with visible and hidden checks, a score, and a Gradescope package.

Instructor material, never copied into the lab folders as is: each lab gets the starter of its exercises
(the reference solutions with the marked places emptied) and the visible checks. See grading/README.md.
"""
