"""Automatic booth allocation: one model, two solvers (a greedy heuristic and OR-Tools CP-SAT), reasons."""
