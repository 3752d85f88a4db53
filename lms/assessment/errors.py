"""The error every exam step raises with a message for the person (shared by drawing and taking exams)."""


class ExamError(ValueError):
    pass


class WrongPassword(ExamError):
    """The exam needs the invigilator's password and another was given."""
