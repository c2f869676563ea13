"""`make bench`: figures for the speed targets, printed, never asserted."""
