"""Payment-matching engine in plain Python: candidate search and scoring, no ORM (the models call it)."""

from .engine import Allocation, ClosedNumbers, Matcher, MatchPolicy, OpenItem, Proposal, Source, normalize
from .habits import Habit, Habits
from .learning import LearningMatcher
