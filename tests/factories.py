"""factory_boy factories for the domain, shared by every test module."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from production.models import BomLine, Location, Product, ProductionLine


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pullboard-test-pw")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        # get_or_create: a transactional test's flush removes the groups the data
        # migration made, and tests that commit still need their roles.
        for role in extracted or []:
            self.groups.add(Group.objects.get_or_create(name=role)[0])


class LineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionLine

    code = factory.Sequence(lambda n: f"line-{n}")
    name = factory.Sequence(lambda n: f"Line {n}")
    capacity_per_day = Decimal("100")
    wip_limit = 5


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"sm-{n}")
    name = factory.Sequence(lambda n: f"Supermarket {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    line = factory.SubFactory(LineFactory)
    supermarket = factory.SubFactory(LocationFactory)
    container_quantity = Decimal("10")
    lead_time_days = Decimal("2")


class BomLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BomLine

    parent = factory.SubFactory(ProductFactory)
    component = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")
