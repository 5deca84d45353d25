app_name = "tokens"
urlpatterns = []
