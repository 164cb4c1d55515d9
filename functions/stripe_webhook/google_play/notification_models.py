"""What a Pub/Sub push of a Google Play real-time developer notification carries.

Pub/Sub wraps the published message as {"message": {"data", "messageId", "publishTime",
"attributes"}, "subscription"}; Google Play publishes a DeveloperNotification as the data
(base64 JSON). Pure parsing: a body that is not such a push is `errors.InvalidArgument`.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lib import errors


class SubscriptionNotificationType(enum.IntEnum):
    """SubscriptionNotification.notificationType, as Google Play numbers them."""

    RECOVERED = 1
    RENEWED = 2
    CANCELED = 3
    PURCHASED = 4
    ON_HOLD = 5
    IN_GRACE_PERIOD = 6
    RESTARTED = 7
    PRICE_CHANGE_CONFIRMED = 8
    DEFERRED = 9
    PAUSED = 10
    PAUSE_SCHEDULE_CHANGED = 11
    REVOKED = 12
    EXPIRED = 13
    ITEMS_CHANGED = 17
    CANCELLATION_SCHEDULED = 18
    PRICE_CHANGE_UPDATED = 19
    PENDING_PURCHASE_CANCELED = 20
    PRICE_STEP_UP_CONSENT_UPDATED = 22


# VoidedPurchaseNotification.productType of a subscription (2 is a one-time product).
VOIDED_SUBSCRIPTION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class SubscriptionNotification(_Model):
    notification_type: int = Field(alias="notificationType")
    purchase_token: str = Field(alias="purchaseToken", min_length=1)


class VoidedPurchaseNotification(_Model):
    purchase_token: str = Field(alias="purchaseToken", min_length=1)
    product_type: int = Field(alias="productType")


class DeveloperNotification(_Model):
    package_name: str = Field(alias="packageName")
    subscription_notification: SubscriptionNotification | None = Field(default=None, alias="subscriptionNotification")
    voided_purchase_notification: VoidedPurchaseNotification | None = Field(
        default=None, alias="voidedPurchaseNotification"
    )
    test_notification: dict[str, object] | None = Field(default=None, alias="testNotification")

    @property
    def kind(self) -> str:
        """Which notification this is, for the log and the delivery record."""
        if self.subscription_notification is not None:
            number = self.subscription_notification.notification_type
            known = number in SubscriptionNotificationType.__members__.values()
            return f"subscription.{SubscriptionNotificationType(number).name if known else number}"
        if self.voided_purchase_notification is not None:
            return "voided_purchase"
        return "test" if self.test_notification is not None else "other"


class PubsubMessage(_Model):
    data: str
    message_id: str = Field(alias="messageId", min_length=1)
    publish_time: str | None = Field(default=None, alias="publishTime")


class PushRequest(_Model):
    message: PubsubMessage
    subscription: str = ""


def pushed_notification(body: bytes) -> tuple[str, DeveloperNotification]:
    """The push's message id and the developer notification it carries."""
    try:
        push = PushRequest.model_validate_json(body)
        data = base64.b64decode(push.message.data, validate=True)
        notification = DeveloperNotification.model_validate(json.loads(data))
    except (ValidationError, ValueError, binascii.Error) as exc:
        raise errors.InvalidArgument("the body is not a Pub/Sub push of a Google Play notification") from exc
    return push.message.message_id, notification
