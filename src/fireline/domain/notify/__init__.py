"""What Fireline sends and to where: messages, destinations, deliveries and the Notifier port."""
