"""Sign-in for borrowers (password or SMS code) and staff, sessions, and the language switcher."""
