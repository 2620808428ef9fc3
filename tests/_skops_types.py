"""What skops asks to trust that depends on the installed scikit-learn, shared
by the test modules that save a TabularPreprocessor with skops."""

#: scikit-learn < 1.7 keeps a ColumnTransformer's remainder columns in a list
#: type of its own, which skops then asks to trust too.
REMAINDER_TYPE = "sklearn.compose._column_transformer._RemainderColsList"


def _remainder_types(untrusted):
    """[REMAINDER_TYPE] where skops asks for it and the installed scikit-learn
    has that type (the older releases)."""
    import sklearn.compose._column_transformer as column_transformer

    has_it = hasattr(column_transformer, "_RemainderColsList")
    return [REMAINDER_TYPE] if has_it and REMAINDER_TYPE in untrusted else []
