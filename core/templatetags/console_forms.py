"""Template filters for the console's forms (templates/includes/field.html)."""

from django import template

register = template.Library()


@register.filter
def widget(field):
    """The field's widget; a required one also says so with `aria-required`, beside the `required` Django adds.

    Radio buttons are left as they are: their group says it (field.html), not each button.
    """
    required = field.field.required and field.widget_type not in ("radioselect", "checkboxselectmultiple")
    return field.as_widget(attrs={"aria-required": "true"} if required else None)
