"""Label vocabularies of the synthetic side information: genres, tags, occupations, title words."""

from __future__ import annotations

GENRE_NAMES: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War",
    "Western",
)  # fmt: skip
TAG_NAMES: tuple[str, ...] = (
    "award-winning", "based-on-a-book", "classic", "cult", "dark", "dialogue-driven", "epic",
    "family", "feel-good", "female-lead", "funny", "indie", "mind-bending", "nostalgic", "quirky",
    "slow-burn", "soundtrack", "stylish", "suspenseful", "tearjerker", "true-story", "twist-ending",
    "violent", "visually-stunning",
)  # fmt: skip
OCCUPATION_NAMES: tuple[str, ...] = (
    "administrator", "artist", "doctor", "educator", "engineer", "entertainment", "executive",
    "healthcare", "homemaker", "lawyer", "librarian", "marketing", "none", "other", "programmer",
    "retired", "salesman", "scientist", "student", "technician", "writer",
)  # fmt: skip
TITLE_ADJECTIVES: tuple[str, ...] = (
    "Silent", "Golden", "Broken", "Hidden", "Crimson", "Endless", "Frozen", "Burning", "Lost",
    "Electric", "Midnight", "Savage", "Gentle", "Restless", "Hollow", "Iron", "Velvet", "Wild",
    "Distant", "Secret", "Bright", "Fallen", "Quiet", "Last",
)  # fmt: skip
TITLE_NOUNS: tuple[str, ...] = (
    "Harbor", "Empire", "Garden", "River", "Signal", "Kingdom", "Mirror", "Storm", "Orchard",
    "Machine", "Frontier", "Summer", "Winter", "Highway", "Island", "Letter", "Planet", "Shadow",
    "Melody", "Circus", "Detective", "Voyage", "Dragon", "Station", "Promise", "Canyon", "Heart",
    "Witness", "Galaxy", "Family", "Engine", "Lantern",
)  # fmt: skip
