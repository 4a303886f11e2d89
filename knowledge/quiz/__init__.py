"""Quizzes against the competency model: the model, the question bank, mastery and reviews."""
