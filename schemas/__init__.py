"""Message and table models shared by every Vigie service (no service imports here)."""
