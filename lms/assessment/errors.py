"""The error every exam step raises with a message for the person (shared by drawing and taking exams)."""


class ExamError(ValueError):
    pass
