"""The local stack: emulators, local FCM and Stripe servers, the gateway and demo data."""
